import { bootstrapApp } from '../../common/bootstrap';
import { AppModule } from './app.module';

void bootstrapApp('order', AppModule, 3001);
