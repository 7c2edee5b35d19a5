import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class OrderLineDto {
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'sku must be 1-40 lower-case letters, digits or dashes' })
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(1000)
  quantity!: number;
}

/** Body of `POST /orders`. */
export class CreateOrderDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  customer!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items!: OrderLineDto[];
}
